// tfjs-core with every op's gradient registered. Import tf from here, not from the package.
//
// tfjs-core's Node bundle registers no gradients, and its ESM `register_all_gradients` cannot be
// loaded by Node (extensionless imports). The union package's Node bundle registers them all
// against the same core (it is also what tfjs-node builds on), so it is imported for that alone.

import '@tensorflow/tfjs';

export * from '@tensorflow/tfjs-core';
