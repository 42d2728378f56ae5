/** Public types of the client: messages, events, operation options and results. */
import type {
  AckProperties,
  ConnackProperties,
  PublishProperties,
  QoS,
  SubscribeProperties,
} from '../codec/packets.js';

/** An application message received from the broker. `payload` is a copy: keep it as long as you like. */
export interface ClientMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly dup: boolean;
  /** The PUBLISH packet's id (QoS 1 and 2 only), as the broker numbered it for this client. */
  readonly packetId?: number;
  /** v5 only. */
  readonly properties?: PublishProperties;
  /**
   * With the `manualAck` option, on QoS 1/2 messages: acknowledges the message to the broker (PUBACK,
   * PUBREC). Call it once the message is safe; further calls do nothing. Absent otherwise.
   */
  readonly ack?: () => void;
}

export interface ConnectResult {
  readonly sessionPresent: boolean;
  /** 0 on success. */
  readonly reasonCode: number;
  /** v5 CONNACK properties. */
  readonly properties?: ConnackProperties;
}

export interface ClientPublishOptions {
  /** Default: the client's default_qos. */
  qos?: QoS;
  /** Default: the client's default_retain. */
  retain?: boolean;
  /** v5 only, passed through as given (a `topicAlias` here is sent as is: the client assigns none itself). */
  properties?: PublishProperties;
}

export interface ClientSubscribeOptions {
  qos?: QoS;
  /** v5 subscription options. */
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
  /** v5 SUBSCRIBE properties. */
  properties?: SubscribeProperties;
}

export interface Granted {
  readonly topic: string;
  /** The QoS the broker granted. */
  readonly qos: QoS;
}

export interface UnsubscribeResult {
  /** v5 only: one reason code per filter (0 = success, 0x11 = no subscription existed). */
  readonly reasonCodes?: readonly number[];
  readonly properties?: AckProperties;
}

/**
 * One challenge of an MQTT 5 enhanced authentication exchange (section 4.12), handed to the `authenticate`
 * option: the broker sent AUTH 0x18 (continue authentication), before CONNACK or during a re-authentication.
 */
export interface AuthChallenge {
  /** The Authentication Method, the one the CONNECT named. */
  readonly method: string;
  /** The broker's Authentication Data, if it sent any. */
  readonly data: Buffer | undefined;
  /** false while connecting (between CONNECT and CONNACK), true during `reauthenticate()`. */
  readonly reauthenticating: boolean;
}

/** Answers a broker's challenge: the Authentication Data to send back (undefined sends none). */
export type Authenticate = (challenge: AuthChallenge) => Buffer | undefined | Promise<Buffer | undefined>;

/** Event name → listener arguments. */
export interface MqttClientEvents {
  /** A connection is up (CONNACK accepted), the first one and after each reconnect. */
  connect: [result: ConnectResult];
  /** A reconnect attempt starts (1-based). */
  reconnect: [attempt: number];
  /** A network connection closed (each time, whatever the cause). */
  close: [];
  /** The client lost its connection; it reconnects next if auto_reconnect allows. */
  offline: [];
  /** The client is finished (disconnect/end, or it gave up reconnecting). */
  end: [];
  /** Something went wrong that no promise reports (a lost connection, giving up). Emitted only when listened to. */
  error: [error: Error];
  message: [message: ClientMessage];
}
export type MqttClientEventName = keyof MqttClientEvents;
