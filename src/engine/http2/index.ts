export { Http2Edge, type Http2Limits } from './edge.js';
export { sniffPreface } from './preface.js';
