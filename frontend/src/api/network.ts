/** Network wire types and commands: advanced account settings, the network check, call quality. */

import type { Connection } from "./connection";
import type { Ack } from "./protocol";

/** Mirrors backend/softphone/domain/network.py NetworkSettings. */
export interface NetworkSettings {
  /** 0: automatic. */
  sip_port: number;
  rtp_port_min: number;
  rtp_port_max: number;
  stun_server: string;
  ice: boolean;
  turn_server: string;
  turn_user: string;
  /** 0: off. */
  keepalive_seconds: number;
  outbound_proxy: string;
  sip_outbound: boolean;
}

export const DEFAULT_NETWORK: NetworkSettings = {
  sip_port: 0,
  rtp_port_min: 40000,
  rtp_port_max: 40099,
  stun_server: "",
  ice: false,
  turn_server: "",
  turn_user: "",
  keepalive_seconds: 15,
  outbound_proxy: "",
  sip_outbound: true,
};

export type QualityLevel = "good" | "fair" | "poor";

/** One sample of a call's media statistics (about once a second while connected). */
export interface CallQuality {
  call_id: string;
  codec: string;
  rx_packets: number;
  tx_packets: number;
  loss_percent: number;
  jitter_ms: number;
  /** Null until the first RTCP report (a few seconds into the call). */
  rtt_ms: number | null;
  remote_loss_percent: number;
  /** Seconds since the last received audio packet; 0 while audio flows. */
  no_media_seconds: number;
  local_address: string;
  remote_address: string;
  level: QualityLevel;
}

export type CheckStatus = "ok" | "warning" | "error" | "skipped";
export type CheckName = "pbx_udp" | "pbx_tcp" | "pbx_tls" | "stun" | "turn" | "rtp_ports";

export interface CheckResult {
  check: CheckName;
  status: CheckStatus;
  /** A key the UI turns into a sentence ("" when all is well). */
  problem: string;
  params: Record<string, string | number>;
}

export interface FirewallRule {
  what: "sip" | "rtp" | "stun" | "turn";
  protocol: string;
  local_port: string;
  remote: string;
}

export interface NetworkReport {
  overall: CheckStatus;
  results: CheckResult[];
  firewall: FirewallRule[];
}

/** The check waits up to ~2 s per probe. */
export const NETWORK_CHECK_TIMEOUT_MS = 30_000;

export const runNetworkCheck = (conn: Connection): Promise<Ack<NetworkReport>> =>
  conn.sendCommand("network.check", {}, NETWORK_CHECK_TIMEOUT_MS);

export type NetworkChanges = Partial<NetworkSettings> & { turn_password?: string };

/** Saves and, when signed in, registers again with the new settings. */
export const updateNetwork = (conn: Connection, changes: NetworkChanges): Promise<Ack<Record<string, never>>> =>
  conn.sendCommand("network.update", changes, NETWORK_CHECK_TIMEOUT_MS);
