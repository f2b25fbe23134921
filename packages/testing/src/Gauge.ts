/** Tracks how many handlers run at once (`current`) and the most ever at once (`max`), to check a concurrency limit. */
export class Gauge {
  current = 0;
  max = 0;
  enter(): void {
    this.current++;
    if (this.current > this.max) this.max = this.current;
  }
  leave(): void {
    this.current--;
  }
}
