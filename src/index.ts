// normbench's public API: the norms, the model builders, the trainer and the experiment runner,
// usable from TypeScript without the CLI. Use the `tf` exported here (tfjs-core with every
// gradient registered) for tensors passed in and out.
//
//   import {tf, useBackend, createNorm, Mlp, resolveNorm} from 'normbench';
//   await useBackend('auto');
//   const bn = createNorm('batch', {units: 100, kernel});

export * as tf from './tf.js';
export {useBackend, probeBackends, type BackendProbe} from './backend.js';

// The vocabulary and the plain types every layer shares.
export * from './spec/index.js';
export {Rng} from './rng.js';
export {UserError, UserErrors, OperationalError, Interrupted, type SourceLocation, type ErrorCode} from './errors.js';

// Norms: pure ops, layers, one registry and one factory.
export {NORM_CATALOG, resolveNorm, parseNorm, normLabel, type BatchOptions, type LayerOptions, type WeightOptions} from './norms/catalog.js';
export {createNorm, createRecurrentNorm} from './norms/registry.js';
export type {Norm, NormInit, ForwardContext} from './norms/types.js';
export {NoNorm} from './norms/none.js';
export {BatchNorm, batchNormTrain} from './norms/batch.js';
export {normalise, standardise} from './norms/normalise.js';
export {LayerNorm, layerNorm} from './norms/layer.js';
export {WeightNorm, weightNormKernel} from './norms/weight.js';

// Building blocks and models.
export {ACTIVATION_FNS} from './nn/activations.js';
export {dense, matMul} from './nn/dense.js';
export {drawKernel} from './nn/init.js';
export {Mlp} from './models/mlp.js';
export {buildModel, MODEL_REGISTRY} from './models/registry.js';
export {MODEL_CATALOG} from './models/catalog.js';
export {parameterCount, type Model, type BuildOptions} from './models/types.js';

// Data.
export {datasetFiles, loadDataset} from './data/registry.js';
export {makeSynthetic, type SyntheticOptions} from './data/synthetic.js';
export {applyStats, featureStats, standardized, type FeatureStats} from './data/standardize.js';
export {loadFashionMnist, loadFashionMnistFrom, loadFashionMnistMini, fashionMnistSearchPath, FASHION_MNIST_CLASSES} from './data/fashion-mnist.js';
export {parseIdx, readIdx, writeIdx, encodeIdx, type IdxArray} from './data/idx.js';
export {loadFiles} from './data/files.js';
export {readCsv, type CsvTable} from './data/csv.js';
export {readNpy, type NpyArray} from './data/npy.js';
export {Batcher, gatherBatch} from './data/batcher.js';
export {fetchFiles, fetchDataset, DownloadError} from './data/fetch.js';
export {FASHION_MNIST_DOWNLOADS, type RemoteFile} from './data/downloads.js';
export type {Dataset, Split} from './data/types.js';
export {cacheDir, compareDataFiles, fingerprint, type DataFile} from './data/fingerprint.js';
export {verifyFashionMnist} from './data/fashion-mnist-files.js';
export {checkData, type DataCheckOptions} from './data/check.js';

// Training.
export {train, evaluate, type TrainResult, type TrainerHooks} from './train/trainer.js';
export {runMetrics} from './train/metrics.js';
export {createOptimizer, clipByGlobalNorm} from './train/optimizers.js';

// Experiments.
export {loadExperiment, type LoadedExperiment, type LoadOptions} from './config/load.js';
export {expandExperiment} from './config/expand.js';
export {experimentSchema} from './config/schema.js';
export {runExperiment, runOne, type RunExperimentOptions, type ExperimentResult, type ExperimentHooks} from './run/experiment.js';
export {progressHooks} from './run/progress.js';
export {readResults, type Results} from './results/read.js';
export {verifyResults, verifyText, type VerifyReport, type VerifyOptions} from './results/verify.js';
export {makeReport, reportText, reportJson} from './results/report.js';
export {VERSION} from './version.js';

// Replicates stacked into one model.
export {StackedMlp, STACKED_NORMS} from './stack/mlp.js';
export {trainStacked, stackRefusal, stackKey, STACKING_BACKENDS, type Replicate} from './stack/trainer.js';
