// What the scripts use: normbench's public API from the build, and the package root.
export * from '../dist/src/index.js';
export {PACKAGE_ROOT as PACKAGE_ROOT_FOR_SCRIPTS} from '../dist/src/version.js';
