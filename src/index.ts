/**
 * node-red-contrib-openadr3-hpwh — the core, usable without Node-RED.
 *
 * Every name exported here is public API (documented in README "Use without Node-RED").
 * Modules are added by area: openadr/, pricing/, scheduling/, cta2045/, modbus/.
 */
export { PACKAGE_NAME, packageRoot, packageVersion } from './package-info';
export * from './openadr/client';
