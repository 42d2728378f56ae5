/**
 * MQTT 5 enhanced authentication (section 4.12) on one connection: the AUTH exchange between CONNECT and
 * CONNACK, and re-authentications after CONNACK. The client makes one AuthExchange per connection, so
 * nothing of an exchange survives a reconnect; the CONNECT of the next connection starts a new one.
 */
import type { AuthPacket } from '../codec/packets.js';
import { ClientError, ClientErrorCode, type ClientErrorCodeValue } from './errors.js';
import { messageOf } from '../error-message.js';
import type { AuthChallenge, Authenticate } from './types.js';

/** AUTH reason codes (section 3.15.2.1). */
export const AuthReason = {
  success: 0x00,
  continueAuthentication: 0x18,
  reauthenticate: 0x19,
} as const;

/** How an exchange reaches its connection. */
export interface AuthLink {
  /** Sends an AUTH on this connection (nothing once it is gone). */
  send(packet: AuthPacket): void;
  /** Closes this connection for the given error. */
  fail(err: ClientError): void;
}

interface PendingReauthentication {
  resolve(): void;
  reject(err: Error): void;
}

function hex(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

function continueAuthentication(method: string, data: Buffer | undefined): AuthPacket {
  return {
    type: 'auth',
    reasonCode: AuthReason.continueAuthentication,
    properties: { authenticationMethod: method, ...(data !== undefined ? { authenticationData: data } : {}) },
  };
}

function protocolError(message: string): ClientError {
  return new ClientError(ClientErrorCode.protocol, message);
}

export class AuthExchange {
  /** The Authentication Method the CONNECT named; undefined when it named none (no AUTH either way then). */
  readonly #method: string | undefined;
  readonly #authenticate: Authenticate | undefined;
  readonly #link: AuthLink;
  /** CONNACK accepted: from now on an AUTH belongs to a re-authentication. */
  #connected = false;
  #reauthentication: PendingReauthentication | undefined;
  /** Answers leave in the order the challenges came, even when `authenticate` is async. */
  #answers: Promise<void> = Promise.resolve();
  #ended = false;

  constructor(method: string | undefined, authenticate: Authenticate | undefined, link: AuthLink) {
    this.#method = method;
    this.#authenticate = authenticate;
    this.#link = link;
  }

  /** The broker accepted the CONNECT. */
  connected(): void {
    this.#connected = true;
  }

  /** An AUTH from the broker. Anything the exchange does not expect closes the connection as a protocol error. */
  onAuth(packet: AuthPacket): void {
    const method = this.#method;
    if (method === undefined) {
      this.#link.fail(
        protocolError('the broker sent an AUTH although the CONNECT named no authentication method [MQTT-4.12.0-6]'),
      );
      return;
    }
    const theirs = packet.properties?.authenticationMethod;
    if (theirs !== method) {
      const named = theirs === undefined ? 'no authentication method' : `authentication method '${theirs}'`;
      this.#link.fail(
        protocolError(`the broker's AUTH names ${named}, not '${method}' as the CONNECT did [MQTT-4.12.0-5]`),
      );
      return;
    }
    const code = packet.reasonCode;
    if (!this.#connected) {
      if (code !== AuthReason.continueAuthentication) {
        this.#link.fail(
          protocolError(
            `the broker sent AUTH with reason code ${hex(code)} before CONNACK; only 0x18 (continue authentication) may come then [MQTT-4.12.0-2]`,
          ),
        );
        return;
      }
      this.#answer(method, packet.properties?.authenticationData, false);
      return;
    }
    if (code === AuthReason.reauthenticate) {
      this.#link.fail(
        protocolError('the broker sent AUTH with reason code 0x19 (re-authenticate), which only a client sends'),
      );
      return;
    }
    const pending = this.#reauthentication;
    if (pending === undefined) {
      this.#link.fail(
        protocolError(`the broker sent AUTH with reason code ${hex(code)} while no re-authentication was under way`),
      );
      return;
    }
    if (code === AuthReason.success) {
      this.#reauthentication = undefined;
      pending.resolve();
      return;
    }
    if (code !== AuthReason.continueAuthentication) {
      this.#link.fail(
        protocolError(`the broker sent AUTH with reason code ${hex(code)}, which is no AUTH reason code`),
      );
      return;
    }
    this.#answer(method, packet.properties?.authenticationData, true);
  }

  /**
   * Starts a re-authentication [MQTT-4.12.1-1]; settles on the broker's AUTH 0x00 (resolves) or when the
   * connection ends first (rejects). The caller checks that the client is connected.
   */
  reauthenticate(data: Buffer | undefined): Promise<void> {
    const method = this.#method;
    // A client that named no method must not send AUTH at all [MQTT-4.12.0-7].
    if (method === undefined) {
      return Promise.reject(
        new ClientError(
          ClientErrorCode.invalidArgument,
          'cannot reauthenticate: the CONNECT named no authentication method (set properties.authenticationMethod, protocolVersion 5)',
        ),
      );
    }
    if (data !== undefined && !Buffer.isBuffer(data)) {
      return Promise.reject(
        new ClientError(ClientErrorCode.invalidArgument, 'reauthenticate(data): data must be a Buffer'),
      );
    }
    if (this.#reauthentication !== undefined) {
      return Promise.reject(
        new ClientError(
          ClientErrorCode.invalidArgument,
          'cannot reauthenticate: a re-authentication is already under way',
        ),
      );
    }
    if (this.#ended || !this.#connected) {
      return Promise.reject(
        new ClientError(ClientErrorCode.notConnected, 'cannot reauthenticate: the connection is not up'),
      );
    }
    const packet: AuthPacket = {
      type: 'auth',
      reasonCode: AuthReason.reauthenticate,
      properties: { authenticationMethod: method, ...(data !== undefined ? { authenticationData: data } : {}) },
    };
    return new Promise<void>((resolve, reject) => {
      this.#reauthentication = { resolve, reject };
      try {
        this.#link.send(packet);
      } catch (err) {
        this.#reauthentication = undefined;
        reject(
          new ClientError(ClientErrorCode.invalidArgument, `cannot reauthenticate: ${messageOf(err)}`, { cause: err }),
        );
      }
    });
  }

  /** The connection is gone (closed, lost, DISCONNECT from the broker): a pending re-authentication fails. */
  end(cause: Error | undefined): void {
    this.#ended = true;
    const pending = this.#reauthentication;
    this.#reauthentication = undefined;
    if (pending === undefined) return;
    // A ClientError's code is always a ClientErrorCodeValue (its constructor takes nothing else).
    const code = cause instanceof ClientError ? (cause.code as ClientErrorCodeValue) : ClientErrorCode.network;
    const reasonCode = cause instanceof ClientError ? cause.reasonCode : undefined;
    pending.reject(
      new ClientError(code, `the re-authentication did not finish: ${cause?.message ?? 'the connection closed'}`, {
        cause,
        ...(reasonCode !== undefined ? { reasonCode } : {}),
      }),
    );
  }

  #answer(method: string, data: Buffer | undefined, reauthenticating: boolean): void {
    const authenticate = this.#authenticate;
    if (authenticate === undefined) {
      this.#link.fail(
        protocolError(
          'the broker asked to continue authentication (AUTH 0x18) but the client has no authenticate option',
        ),
      );
      return;
    }
    const round = this.#reauthentication;
    this.#answers = this.#answers.then(() => this.#respond(authenticate, { method, data, reauthenticating }, round));
  }

  /** Never rejects: a failure closes the connection instead, and later answers still go out in order. */
  async #respond(
    authenticate: Authenticate,
    challenge: AuthChallenge,
    round: PendingReauthentication | undefined,
  ): Promise<void> {
    let response: Buffer | undefined;
    try {
      response = await authenticate(challenge);
      if (response !== undefined && !Buffer.isBuffer(response))
        throw new TypeError('it returned something other than a Buffer or undefined');
    } catch (err) {
      if (!this.#ended)
        this.#link.fail(
          new ClientError(ClientErrorCode.protocol, `the authenticate option failed: ${messageOf(err)}`, {
            cause: err,
          }),
        );
      return;
    }
    // While `authenticate` ran, the exchange it answers may have ended (connection closed, CONNACK or
    // AUTH 0x00 came): a late answer would be a stray AUTH.
    if (this.#ended || this.#connected !== challenge.reauthenticating || this.#reauthentication !== round) return;
    try {
      this.#link.send(continueAuthentication(challenge.method, response));
    } catch (err) {
      this.#link.fail(
        new ClientError(
          ClientErrorCode.invalidArgument,
          `the authenticate option's answer cannot be sent: ${messageOf(err)}`,
          { cause: err },
        ),
      );
    }
  }
}
