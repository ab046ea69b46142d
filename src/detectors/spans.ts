/**
 * Characters already claimed by a finding, so overlapping candidates are reported once. A bitmap
 * rather than a list of spans: text with tens of thousands of matches must not cost a scan of
 * the list per match. Allocated on the first claim: most texts have no finding at all.
 */
export class SpanSet {
  private covered: Uint8Array | undefined;
  constructor(private readonly length: number) {}
  isFree(start: number, end: number): boolean {
    return this.covered === undefined || this.covered.subarray(start, end).indexOf(1) === -1;
  }
  /** Claims the span; false when part of it already was claimed. */
  take(start: number, end: number): boolean {
    if (!this.isFree(start, end)) return false;
    this.covered ??= new Uint8Array(this.length);
    this.covered.fill(1, start, end);
    return true;
  }
}
