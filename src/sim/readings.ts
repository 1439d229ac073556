import { SENSORS } from './plant.ts';

const WIDTH = SENSORS.length;

/** A growable columnar buffer of one machine's readings (ts in µs + one value per sensor). */
export class ReadingBuffer {
  n = 0;
  ts = new Float64Array(4096);
  values = new Float64Array(4096 * WIDTH);

  push(ts: number, row: Float64Array): void {
    if (this.n === this.ts.length) this.grow();
    this.ts[this.n] = ts;
    this.values.set(row, this.n * WIDTH);
    this.n++;
  }

  row(i: number): Float64Array {
    return this.values.subarray(i * WIDTH, (i + 1) * WIDTH);
  }

  clear(): void {
    this.n = 0;
  }

  private grow(): void {
    const ts = new Float64Array(this.ts.length * 2);
    ts.set(this.ts);
    const values = new Float64Array(this.values.length * 2);
    values.set(this.values);
    this.ts = ts;
    this.values = values;
  }
}
