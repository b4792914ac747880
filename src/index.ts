/**
 * node-red-contrib-openadr3-hpwh — the core, usable without Node-RED.
 *
 * Every name exported here is public API (documented in README "Use without Node-RED").
 * Modules are added by area: openadr/, pricing/, scheduling/, cta2045/, modbus/.
 */
export { PACKAGE_NAME, packageRoot, packageVersion } from './package-info';

// CTA-2045 (src/cta2045/): codec, stream parser, link layer, UCM, dispatcher, simulator.
export * from './cta2045';
