// Kong's credential entities (kong/plugins/*/daos.lua), normalized form. In a declarative file
// they sit nested under their consumer (`keyauth_credentials: [...]`) or at the top level
// naming it; the loader checks them with these schemas and puts them under the consumer's
// `credentials`. The store keeps each as an entity of its own, with its consumer as a foreign
// key. These are the single definition of their fields; their rows in the entity table
// (src/config/entities/table.ts) say what a file must give and which key is unique.
// Fields Kong generates when left out (a key-auth key, a JWT key and secret, an HMAC secret)
// are filled by the store, not given a schema default, because each must be a fresh random value.
import { Type } from '@sinclair/typebox';
import { Id, Nullable, Ref, StringEnum, Tags } from './common.js';

const Text = Type.String({ minLength: 1 });

export const KeyauthCredentialSchema = Type.Object(
  {
    id: Id,
    consumer: Ref,
    key: Text,
    /** Seconds the key lives after it is created (Kong's ttl); null for ever. */
    ttl: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100000000 }))),
    tags: Tags,
  },
  { $id: 'KeyauthCredential', additionalProperties: false },
);

export const BasicauthCredentialSchema = Type.Object(
  { id: Id, consumer: Ref, username: Text, password: Text, tags: Tags },
  { $id: 'BasicauthCredential', additionalProperties: false },
);

export const HmacauthCredentialSchema = Type.Object(
  { id: Id, consumer: Ref, username: Text, secret: Text, tags: Tags },
  { $id: 'HmacauthCredential', additionalProperties: false },
);

export const JWT_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const;

export const JwtSecretSchema = Type.Object(
  {
    id: Id,
    consumer: Ref,
    key: Text,
    secret: Nullable(Text),
    algorithm: StringEnum(JWT_ALGORITHMS, { default: 'HS256' }),
    rsa_public_key: Nullable(
      Type.String({ minLength: 1, pattern: '-----BEGIN ', 'x-error': 'must be a PEM-encoded public key' }),
    ),
    tags: Tags,
  },
  { $id: 'JwtSecret', additionalProperties: false },
);

export const AclSchema = Type.Object(
  { id: Id, consumer: Ref, group: Text, tags: Tags },
  { $id: 'Acl', additionalProperties: false },
);

export const Oauth2CredentialSchema = Type.Object(
  {
    id: Id,
    consumer: Ref,
    name: Text,
    client_id: Text,
    client_secret: Text,
    hash_secret: Type.Boolean({ default: false }),
    redirect_uris: Nullable(Type.Array(Type.String({ minLength: 1 }))),
    client_type: StringEnum(['confidential', 'public'] as const, { default: 'confidential' }),
    tags: Tags,
  },
  { $id: 'Oauth2Credential', additionalProperties: false },
);
