// The clocks moved to src/time/clock.ts (nodes outside CTA-2045 share them); kept for imports.
export * from '../time/clock';
