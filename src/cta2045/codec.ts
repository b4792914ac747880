/**
 * CTA-2045 byte codec: framing, the Fletcher checksum, duration and relative-price encodings, and
 * encoders/decoders for the Basic DR, Intermediate DR and data-link messages a water-heater UCM
 * uses, one module per message family: frame.ts (framing, checksum, data link), basic-dr.ts and
 * intermediate-dr.ts. This module is the one import for all of them.
 */
export * from './frame';
export * from './basic-dr';
export * from './intermediate-dr';
