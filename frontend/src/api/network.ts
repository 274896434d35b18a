/** Network wire types: advanced account settings, the network check, call quality. */

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
  /** Our jitter buffer's average delay since the call began. */
  jitter_buffer_ms: number;
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

/** network.update: saved, then (when signed in) the account registers again with them. */
export type NetworkChanges = Partial<NetworkSettings> & { turn_password?: string };
