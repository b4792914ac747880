/**
 * What the CTA-2045 link layer (LinkEndpoint, link.ts) takes and gives: its timing, the outcome of
 * a send, how the owner decides on a frame the peer sent on its own, and the wire events it emits.
 */
import type { Clock } from './clock';
import type { Cta2045Message, MessageType } from './codec';

export interface LinkTiming {
  /** tMA: delay before our link ACK/NAK (40 ms). */
  ackDelayMs: number;
  /** Wait for the peer's link ACK (200 ms). */
  linkAckTimeoutMs: number;
  /** Tries per frame (3). */
  tries: number;
  /** Delay between tries (500 ms). */
  retryDelayMs: number;
  /** Wait for the application response (3 s). */
  responseTimeoutMs: number;
  /** tAR: delay between our link ACK and our application response (100 ms). */
  responseDelayMs: number;
  /** tIM: bus idle before a new message (100 ms). */
  interMessageMs: number;
  /** tML: partial-frame timeout (500 ms). */
  messageTimeoutMs: number;
}

export const DEFAULT_TIMING: LinkTiming = {
  ackDelayMs: 40,
  linkAckTimeoutMs: 200,
  tries: 3,
  retryDelayMs: 500,
  responseTimeoutMs: 3000,
  responseDelayMs: 100,
  interMessageMs: 100,
  messageTimeoutMs: 500,
};

export type LinkState = 'idle' | 'waiting-link-ack' | 'waiting-response' | 'closed';

export type SendOutcome =
  /** Link-ACKed and no response was expected. */
  | 'link-acked'
  /** The expected application response arrived (see `response`). */
  | 'response'
  /** The peer answered with a link NAK (see `nakReason`). */
  | 'link-nak'
  /** No link ACK after every try. */
  | 'link-timeout'
  /** Link-ACKed, but no application response within the timeout. */
  | 'response-timeout'
  /** The port is not open (never written: nothing to replay later). */
  | 'closed';

export interface SendResult {
  outcome: SendOutcome;
  response?: Cta2045Message;
  responseBytes?: Uint8Array;
  nakReason?: number;
  attempts: number;
  /** Time from first write to link ACK, and to application response (link clock ms). */
  linkAckMs?: number;
  responseMs?: number;
}

/** How the receiver answers a frame the peer sent on its own initiative. */
export type RequestDecision =
  | { link: 'ack'; reply?: Uint8Array; then?: () => void }
  | { link: 'nak'; reason: number }
  | { link: 'silent' };

export type RequestHandler = (msg: Cta2045Message, bytes: Uint8Array) => RequestDecision;

export interface LinkEndpointOptions {
  timing?: Partial<LinkTiming>;
  clock?: Clock;
  maxPayload?: number;
  supportedTypes?: readonly MessageType[];
  /** Tries for our own application responses (the notes suggest 0-2 retries: default 3 tries). */
  replyTries?: number;
  /**
   * The RS-485 adapter echoes what we transmit (receiver not disabled during TX): discard our
   * own bytes when they come back instead of parsing them.
   */
  echoSuppression?: boolean;
}

export interface WireEvent {
  direction: 'tx' | 'rx';
  bytes: Uint8Array;
  at: number;
}
