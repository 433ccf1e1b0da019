// One request's run through its route's plugin chain: the PluginContext the handlers see
// (the request API itself is PluginRequest, plugin-request.ts), phases walked in order with async
// handlers awaited (and bounded by a timeout), consumer-scoped configurations picked as
// soon as a consumer is known. Only requests whose route has plugins create one.

import type { ChainSlot, PluginChain, PluginInstance } from '../../plugins/chain/types.js';
import type {
  ConsumerRef,
  ConsumerStore,
  Phase,
  PluginContext,
  PluginLogger,
  PluginMetrics,
  RequestApi,
  RequestOutcome,
} from '../../plugins/sdk.js';
import type { NamedFilter } from './body-pipeline.js';
import type { HeaderList } from './header-list.js';
import { checkHeader, RESERVED } from './header-rules.js';
import { PluginRequest, type PluginHost } from './plugin-request.js';
import { unwatch, watch, type Expirable } from '../clock.js';
import { processLog } from '../../observe/logger.js';

/** Apart from the log loop, whose bindings a closure would otherwise capture on every request. */
function reportLogFailure(p: Promise<void>, plugin: string, requestId: string): void {
  p.catch((err: unknown) =>
    writeLog('error', plugin, requestId, 'plugin failed in the log phase', { error: (err as Error)?.message }),
  );
}

/** Async handlers that take longer than this fail their request with a 500. */
export const PLUGIN_TIMEOUT_MS = 10_000;

function writeLog(
  level: 'info' | 'warn' | 'error',
  plugin: string,
  requestId: string,
  msg: string,
  fields?: Record<string, unknown>,
): void {
  processLog()[level]({ plugin, request_id: requestId, ...fields }, msg);
}

export class PluginRun extends PluginRequest implements PluginContext, Expirable {
  consumer: ConsumerRef | null = null;
  credential: { id: string } | null = null;
  private sharedData: Record<string, unknown> | null = null;
  response: HeaderList | null = null;
  outcome: RequestOutcome | null = null;
  private logger: PluginLogger | null = null;
  private current = '';
  private answered = false;
  /** While an async handler runs: when it times out (Date.now() scale, swept by the clock); 0 = none. */
  deadline = 0;
  /** The plugin and phase of the async handler being waited for. */
  private waitingFor: { plugin: string; phase: Phase } | null = null;
  constructor(
    readonly chain: PluginChain,
    owner: PluginHost,
  ) {
    super(owner);
  }

  get metrics(): PluginMetrics {
    return this.owner.pluginMetrics;
  }

  get shared(): Record<string, unknown> {
    return (this.sharedData ??= {});
  }

  /** Created on first use: most requests never log from a plugin. */
  get log(): PluginLogger {
    if (this.logger === null) {
      const owner = this.owner;
      const self = this;
      this.logger = {
        info: (msg, fields) => writeLog('info', self.current, owner.requestId, msg, fields),
        warn: (msg, fields) => writeLog('warn', self.current, owner.requestId, msg, fields),
        error: (msg, fields) => writeLog('error', self.current, owner.requestId, msg, fields),
      };
    }
    return this.logger;
  }

  // ── PluginContext ─────────────────────────────────────────────────────────
  get request(): RequestApi {
    return this;
  }
  get route(): { id: string; name: string } | null {
    return this.owner.routeInfo;
  }
  get service(): { id: string; name: string } | null {
    return this.owner.serviceInfo;
  }
  get requestId(): string {
    return this.owner.requestId;
  }
  get consumers(): ConsumerStore {
    return this.owner.consumerStore;
  }

  authenticate(consumer: ConsumerRef, credential: { id: string } | null): void {
    this.consumer = consumer;
    this.credential = credential;
    this.setConsumerHeaders(consumer, credential);
  }

  respond(status: number, body?: string | Buffer | Record<string, unknown>, headers?: Record<string, string>): void {
    if (this.answered) throw new Error('respond() called twice');
    if (!Number.isInteger(status) || status < 100 || status > 599)
      throw new Error(`respond(): invalid status ${status}`);
    this.answered = true;
    const list: [string, string][] = [];
    let payload: Buffer;
    let type: string | null = null;
    if (body === undefined || body === null) payload = Buffer.alloc(0);
    else if (Buffer.isBuffer(body)) payload = body;
    else if (typeof body === 'string') {
      payload = Buffer.from(body);
      type = 'text/plain; charset=utf-8';
    } else {
      payload = Buffer.from(JSON.stringify(body));
      type = 'application/json; charset=utf-8';
    }
    let hasType = false;
    if (headers !== undefined) {
      for (const [k, v] of Object.entries(headers)) {
        if (RESERVED.has(k.toLowerCase())) continue;
        checkHeader(k, String(v));
        if (k.toLowerCase() === 'content-type') hasType = true;
        list.push([k, String(v)]);
      }
    }
    if (!hasType && type !== null) list.unshift(['Content-Type', type]);
    this.owner.pluginRespond(status, payload, list);
  }

  get shortCircuited(): boolean {
    return this.answered;
  }

  // ── Running phases ────────────────────────────────────────────────────────
  /** The instance of a slot that applies to this request (consumer-scoped first). */
  private pick(slot: ChainSlot): PluginInstance | null {
    if (this.consumer !== null && slot.byConsumer !== null) {
      const c = slot.byConsumer.get(this.consumer.id);
      if (c !== undefined) return c;
    }
    return slot.base;
  }

  /**
   * Runs the rewrite then access phases; calls the host's `requestPhasesDone` when the request may go upstream.
   * Does not call it when a plugin answered or failed (the host was told).
   */
  runRequestPhases(): void {
    this.walk('rewrite', this.chain.rewrite, 0);
  }

  /** Runs `slots` from `from`; then the access phase after rewrite, or tells the host it may proxy. (No closures: this runs per request.) */
  private walk(phase: 'rewrite' | 'access', slots: readonly ChainSlot[], from: number): void {
    for (let i = from; i < slots.length; i++) {
      if (this.answered) return;
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      const fn = inst.module.phases[phase]!;
      this.current = inst.name;
      let r: void | Promise<void>;
      try {
        r = fn(this, inst.conf);
      } catch (err) {
        if (!this.answered) this.owner.pluginFailed(inst.name, phase, err);
        return;
      }
      if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') {
        this.await(r as Promise<void>, inst.name, phase, slots, i);
        return;
      }
    }
    if (this.answered) return;
    if (phase === 'rewrite') this.walk('access', this.chain.access, 0);
    else this.owner.requestPhasesDone();
  }

  /**
   * An async handler: the walk goes on from the next slot when it settles. Apart from `walk`
   * so that the walk's loop captures nothing (a closure over the loop's bindings would cost
   * a context per iteration on every request, async or not).
   */
  private await(
    p: Promise<void>,
    plugin: string,
    phase: 'rewrite' | 'access',
    slots: readonly ChainSlot[],
    i: number,
  ): void {
    // The worker's sweep clock bounds the wait: cheaper than a timer per request.
    this.deadline = Date.now() + PLUGIN_TIMEOUT_MS;
    this.waitingFor = { plugin, phase };
    watch(this);
    p.then(
      () => {
        if (this.waitingFor === null) return; // timed out or cancelled already
        this.stopWaiting();
        this.walk(phase, slots, i + 1);
      },
      (err: unknown) => {
        if (this.waitingFor === null) return;
        this.stopWaiting();
        if (!this.answered) {
          this.answered = true;
          this.owner.pluginFailed(plugin, phase, err);
        }
      },
    );
  }

  /** Response phase (synchronous, as Kong's header_filter): edits `headers` in place. Returns false if a handler threw. */
  runResponse(headers: HeaderList): boolean {
    this.response = headers;
    const slots = this.chain.response;
    for (let i = 0; i < slots.length; i++) {
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      this.current = inst.name;
      try {
        const r = inst.module.phases.response!(this, inst.conf);
        if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') {
          this.log.warn('the response phase cannot wait for a promise; its result is ignored');
          (r as Promise<void>).catch(() => {});
        }
      } catch (err) {
        writeLog(
          'error',
          inst.name,
          this.owner.requestId,
          'plugin failed in the response phase; response headers sent as they were',
          { error: (err as Error).message },
        );
        return false;
      }
    }
    return true;
  }

  /**
   * The body phase: asks each body plugin (after the response phase, headers still editable)
   * for a filter. A handler that throws is logged and skipped: the body goes out unfiltered
   * by it.
   */
  openBodyFilters(headers: HeaderList): NamedFilter[] {
    this.response = headers;
    const out: NamedFilter[] = [];
    const slots = this.chain.body;
    for (let i = 0; i < slots.length; i++) {
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      this.current = inst.name;
      try {
        const f = inst.module.phases.body!(this, inst.conf);
        if (f !== null && f !== undefined) {
          if (typeof f.chunk !== 'function' || typeof f.end !== 'function')
            throw new Error('the body phase must return { chunk, end } or null');
          out.push({ plugin: inst.name, filter: f });
        }
      } catch (err) {
        writeLog('error', inst.name, this.owner.requestId, 'plugin failed in the body phase; its filter is skipped', {
          error: (err as Error).message,
        });
      }
    }
    return out;
  }

  /**
   * Log phase, after the response: errors are logged, never surfaced. Returns true when a
   * handler is still running (returned a promise): it may read the request later.
   */
  runLog(outcome: RequestOutcome): boolean {
    this.outcome = outcome;
    let pending = false;
    const slots = this.chain.log;
    for (let i = 0; i < slots.length; i++) {
      const inst = this.pick(slots[i]);
      if (inst === null) continue;
      this.current = inst.name;
      try {
        const r = inst.module.phases.log!(this, inst.conf);
        if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') {
          pending = true;
          reportLogFailure(r as Promise<void>, inst.name, this.owner.requestId);
        }
      } catch (err) {
        writeLog('error', inst.name, this.owner.requestId, 'plugin failed in the log phase', {
          error: (err as Error).message,
        });
      }
    }
    return pending;
  }

  private stopWaiting(): void {
    this.waitingFor = null;
    this.deadline = 0;
    unwatch(this);
  }

  /** The clock's sweep: an async handler took longer than PLUGIN_TIMEOUT_MS. */
  expire(): void {
    const w = this.waitingFor;
    if (w === null) return;
    this.stopWaiting();
    if (!this.answered) {
      this.answered = true;
      this.owner.pluginFailed(w.plugin, w.phase, new Error(`timed out after ${PLUGIN_TIMEOUT_MS} ms`));
    }
  }

  cancel(): void {
    if (this.waitingFor !== null) this.stopWaiting();
    this.answered = true;
  }
}
