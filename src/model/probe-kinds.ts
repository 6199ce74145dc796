/**
 * The probe kinds a scenario may declare. Every place that does something per kind holds an
 * exhaustive map over this list (`{ [K in ProbeKind]: … }`), so a kind added here and missed
 * there fails the build rather than being silently skipped.
 */
export const PROBE_KINDS = ['coldstart', 'load', 'capacity', 'stream', 'flow', 'idleSweep'] as const;

export type ProbeKind = (typeof PROBE_KINDS)[number];
