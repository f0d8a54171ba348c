/**
 * Log-distance path-loss model: RSSI falls by 10·n dB per decade of distance from the 1 m reference power, so
 * d = 10^((txPower − rssi) / (10·n)) metres. `txPowerDbm` is the RSSI measured at 1 m (what beacons advertise as
 * "measured power"), `n` the path-loss exponent (2 in free space, 2.5–4 indoors).
 */
export function distanceFromRssiM(txPowerDbm: number, rssiDbm: number, pathLossExponent: number): number {
  return 10 ** ((txPowerDbm - rssiDbm) / (10 * pathLossExponent));
}
