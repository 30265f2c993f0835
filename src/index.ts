// normbench's public API: the norms, the model builders, the trainer and the experiment runner,
// usable from TypeScript without the CLI. Use the `tf` exported here (tfjs-core with every
// gradient registered) for tensors passed in and out.
//
//   import {tf, useBackend, createNorm, Mlp, resolveNorm} from 'normbench';
//   await useBackend('auto');
//   const bn = createNorm('batch', {units: 100, kernel});

export * as tf from './tf.js';
export {useBackend, probeBackends, BACKENDS, type BackendName, type BackendProbe} from './backend.js';
export {Rng} from './rng.js';
export {UserError, UserErrors, OperationalError, Interrupted, type SourceLocation, type ErrorCode} from './errors.js';

// Norms: pure ops, layers, one registry and one factory.
export {NORMS, NORM_REGISTRY, createNorm, resolveNorm, parseNorm, normLabel, type NormName, type NormSpec} from './norms/registry.js';
export type {Norm, NormInit, ForwardContext} from './norms/types.js';
export {NoNorm} from './norms/none.js';
export {BatchNorm, batchNormTrain, type BatchOptions} from './norms/batch.js';
export {normalise, standardise} from './norms/normalise.js';
export {LayerNorm, layerNorm, type LayerOptions} from './norms/layer.js';
export {WeightNorm, weightNormKernel, type WeightOptions} from './norms/weight.js';

// Building blocks and models.
export {ACTIVATIONS, ACTIVATION_FNS, type ActivationName} from './nn/activations.js';
export {dense, matMul} from './nn/dense.js';
export {drawKernel, INITIALIZERS, type InitializerName} from './nn/init.js';
export {Mlp} from './models/mlp.js';
export {buildModel, MODEL_REGISTRY} from './models/registry.js';
export {parameterCount, type Model, type BuildOptions} from './models/types.js';

// Data.
export {loadDataset} from './data/registry.js';
export {makeSynthetic, type SyntheticOptions} from './data/synthetic.js';
export {loadFashionMnist, loadFashionMnistFrom, loadFashionMnistMini, fashionMnistSearchPath, FASHION_MNIST_CLASSES} from './data/fashion-mnist.js';
export {parseIdx, readIdx, writeIdx, encodeIdx, type IdxArray} from './data/idx.js';
export {Batcher, gatherBatch} from './data/batcher.js';
export {fetchFiles, fetchDataset, FASHION_MNIST_DOWNLOADS, DownloadError, type RemoteFile} from './data/fetch.js';
export type {Dataset, Split} from './data/types.js';

// Training.
export {train, evaluate, type CurvePoint, type TrainResult, type TrainerHooks} from './train/trainer.js';
export {runMetrics, type RunMetrics} from './train/metrics.js';
export {createOptimizer, clipByGlobalNorm} from './train/optimizers.js';

// Experiments.
export {loadExperiment, type LoadedExperiment, type LoadOptions} from './config/load.js';
export {expandExperiment, type RunSpec, type ExpandedExperiment} from './config/expand.js';
export {experimentSchema, type ExperimentConfig, type DatasetSpec, type ModelSpec, type TrainSpec} from './config/schema.js';
export {runExperiment, runOne, type RunExperimentOptions, type ExperimentResult, type ExperimentHooks} from './run/experiment.js';
export {progressHooks} from './run/progress.js';
export type {RunRecord} from './results/columns.js';
export {readResults, type Results} from './results/read.js';
export {verifyResults, verifyText, type VerifyReport, type VerifyOptions} from './results/verify.js';
export {makeReport, reportText, reportJson} from './results/report.js';
export {VERSION} from './version.js';

// Replicates stacked into one model.
export {StackedMlp, STACKED_NORMS} from './stack/mlp.js';
export {trainStacked, stackRefusal, stackKey, STACKING_BACKENDS, type Replicate} from './stack/trainer.js';
