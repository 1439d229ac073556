// The parts of ml-regression (no bundled types) the engine uses.
declare module 'ml-regression' {
  interface Regression {
    predict(x: number): number;
    predict(x: number[]): number[];
  }
  export class SimpleLinearRegression implements Regression {
    constructor(x: number[], y: number[]);
    predict(x: number): number;
    predict(x: number[]): number[];
    slope: number;
    intercept: number;
  }
  export class PolynomialRegression implements Regression {
    constructor(x: number[], y: number[], degree: number);
    predict(x: number): number;
    predict(x: number[]): number[];
  }
  export class TheilSenRegression implements Regression {
    constructor(x: number[], y: number[]);
    predict(x: number): number;
    predict(x: number[]): number[];
  }
  export class ExponentialRegression implements Regression {
    constructor(x: number[], y: number[]);
    predict(x: number): number;
    predict(x: number[]): number[];
  }
}
