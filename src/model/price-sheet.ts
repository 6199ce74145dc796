/**
 * A price sheet (the user's: prices change) and the cost table computed from it and a run.
 * Every price carries where it was read and when, so a table can print its sources.
 */

export interface Price {
  value: number;
  /** Where the price was read (a public pricing page). */
  source: string;
  /** When it was read, YYYY-MM-DD. */
  read: string;
  /** How the value follows from the page, when it is not copied as is (a monthly price ÷ 730 hours). */
  note?: string;
}

/** Cloud Run, request-based: billed for busy instance time (rounded up to 100 ms) and per request. */
export interface RequestBilledPlatform {
  billing: 'requests';
  instance: { vcpu: number; memoryGiB: number };
  minInstances: number;
  free: { vcpuSeconds: number; gibSeconds: number; requests: number };
  prices: { vcpuSecond: Price; gibSecond: Price; millionRequests: Price };
}

/** Cloud Run, instance-based: billed for each instance's whole lifetime, no request fee. */
export interface InstanceBilledPlatform {
  billing: 'instances';
  instance: { vcpu: number; memoryGiB: number };
  minInstances: number;
  free: { vcpuSeconds: number; gibSeconds: number };
  prices: { vcpuSecond: Price; gibSecond: Price };
}

/** Kubernetes on nodes (GKE Standard, DOKS): nodes for the pods the peak needs, the cluster fee, a load balancer. */
export interface NodeBilledPlatform {
  billing: 'nodes';
  node: { type: string; podsPerNode: number };
  minPods: number;
  minNodes: number;
  /** Capacity kept free at the peak, as a share of what a pod holds. */
  headroom: number;
  prices: { nodeHour: Price; clusterHour?: Price; loadBalancerHour?: Price };
}

/** Kubernetes billed per pod resources (GKE Autopilot). */
export interface PodBilledPlatform {
  billing: 'pods';
  pod: { vcpu: number; memoryGiB: number };
  minPods: number;
  headroom: number;
  prices: { vcpuHour: Price; gibHour: Price; clusterHour?: Price; loadBalancerHour?: Price };
}

export type PlatformPricing = (RequestBilledPlatform | InstanceBilledPlatform | NodeBilledPlatform | PodBilledPlatform) & {
  name: string;
  /** The run's target whose measurements stand for this platform. */
  target: string;
};

export type BillingModel = PlatformPricing['billing'];

export interface PriceSheet {
  currency: string;
  hoursPerMonth: number;
  platforms: PlatformPricing[];
}

/** One cell: the monthly cost at one traffic level, with its 90% interval. */
export interface CostCell {
  requestsPerMonth: number;
  cost: number;
  /** null when the measurement cannot bound it (too few instances to resample). */
  low: number | null;
  high: number | null;
  /** What sized it: pods or nodes at the peak, or instance-seconds a month. */
  sizing: string;
}

export interface PlatformCost {
  name: string;
  target: string;
  billing: BillingModel;
  cells: CostCell[];
  /** The widest interval's half-width as a share of its cost, over the traffic levels. */
  spread: number | null;
  /** spread ≤ the bound asked (the study's "within 10% of projections"); false when it cannot be bounded. */
  predictable: boolean;
  /** Why there is no interval, when there is none. */
  unbounded: string | null;
  /** What was measured and assumed, in words, for under the table. */
  assumptions: string[];
  sources: Array<Price & { price: string }>;
}

export interface CostReport {
  currency: string;
  peakToMean: number;
  within: number;
  hoursPerMonth: number;
  platforms: PlatformCost[];
}
