/** Modbus output: register map, link, schedule blocks and the water-heater controller. */
export * from './register-map';
export * from './default-map';
export * from './link';
export * from './schedule';
export * from './water-heater';
