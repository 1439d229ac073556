/** V8 settings of the processes that serve the API (bin/serving.js). */
export function tuneForServing(): void;
