/** The plant simulator: a deterministic factory with ground truth, fed through the real ingestion path. */
export { simulate, defaultStart } from './run.ts';
export type { SimulateOptions, SimSummary, SimProgress } from './run.ts';
export { ChecksumSink, MemorySink, QuestDbSink, TeeSink, simLayouts } from './sink.ts';
export type { SimSink } from './sink.ts';
export { buildPlant, CLASSES, SENSORS, MODES } from './plant.ts';
export type { EquipmentSpec, EquipmentClass, FailureMode, Sensor } from './plant.ts';
export { Rng } from './rng.ts';
export { readPlantState, writePlantState } from './plant-state.ts';
export type { PlantState } from './plant-state.ts';
export { simulatedPlant, SIMULATED_PLANT_FILE } from './plant-file.ts';
export { PublishingSink, SparkplugPublisher } from './publish.ts';
export type { PublisherOptions } from './publish.ts';
