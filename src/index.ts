/**
 * node-red-contrib-openadr3-hpwh — the core, usable without Node-RED.
 *
 * Every name exported here is public API (documented in README "Use without Node-RED").
 * Modules are added by area: openadr/, pricing/, scheduling/, cta2045/, modbus/.
 */
export { PACKAGE_NAME, packageRoot, packageVersion } from './package-info';
export { loadSpec, type OpenAdrSpec, type SpecOperation, type ValidationIssue } from './openadr/spec';
export {
  createVtn,
  DEFAULT_BASE_PATH,
  DEFAULT_PORT,
  DEMO_CLIENTS,
  parseClients,
  SqliteStore,
  usesDemoSecrets,
  type Vtn,
  type VtnOptions,
  type VtnStore,
  type Change,
  type ClientConfig,
} from './openadr/vtn';
