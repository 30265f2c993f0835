// The data sets `normbench data fetch` can download: where each lives and the files it consists
// of, each with its size and SHA-256 (the download engine is fetch.ts).

import {join} from 'node:path';
import {FASHION_MNIST_FILES} from './fashion-mnist.js';

/** One file to download: its name under the base URL and the target directory, and its digest. */
export interface RemoteFile {
  name: string;
  /** Lower-case hex SHA-256 of the exact bytes. */
  sha256: string;
  /** Size in bytes, when known: the progress total when the server sends no Content-Length. */
  bytes?: number;
}

/** Where a downloadable data set lives and what it consists of. */
export interface DownloadSource {
  title: string;
  baseUrl: string;
  /** Environment variable naming a mirror (the `--base-url` flag wins over it). */
  envVar: string;
  /** Default target, relative to the working directory: a place the loader searches. */
  defaultDir: string;
  files: readonly RemoteFile[];
}

export const DOWNLOADS = ['fashion-mnist'] as const;
export type DownloadName = (typeof DOWNLOADS)[number];

export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

// The official release's .gz files. Zalando's README publishes MD5s only (train-images
// 8d4fb7e6c68d591d4c3dfef9ec88bf0d, train-labels 25c81989df183df01b3e8a0aad5dffbe, t10k-images
// bef4ecab320f06d8554ea6380940ec79, t10k-labels bb300cfdad3c16e7a12a480ee83cd310). The SHA-256s and
// sizes are those pinned for the same URLs by TensorFlow Datasets
// (tensorflow_datasets/url_checksums/fashion_mnist.txt) and torchvision's prototype FashionMNIST.
// Checked locally against Debian's dataset-fashion-mnist: its .gz files carry the same deflate streams,
// but strip-nondeterminism rewrote their gzip headers (file name dropped, MTIME set to the 2020 build
// date), so their own MD5s differ from the README's. Putting back the name and the original MTIME
// (1504176606 for train, 1504176627 for t10k, i.e. 2017-08-31 10:50 UTC, found by trying MTIMEs until
// the README's MD5 came out) reproduces files with the README's MD5s, these sizes and these SHA-256s.
// test/data/fetch.test.ts repeats that check whenever the Debian package is installed.
export const FASHION_MNIST_DOWNLOADS: readonly RemoteFile[] = [
  {name: `${FASHION_MNIST_FILES.trainImages}.gz`, bytes: 26_421_880, sha256: '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84'},
  {name: `${FASHION_MNIST_FILES.trainLabels}.gz`, bytes: 29_515, sha256: 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845'},
  {name: `${FASHION_MNIST_FILES.testImages}.gz`, bytes: 4_422_102, sha256: '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073'},
  {name: `${FASHION_MNIST_FILES.testLabels}.gz`, bytes: 5_148, sha256: '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'},
];

export const DOWNLOAD_SOURCES: Record<DownloadName, DownloadSource> = {
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    baseUrl: FASHION_MNIST_BASE_URL,
    envVar: 'NORMBENCH_FASHION_MNIST_URL',
    defaultDir: join('data', 'fashion-mnist'),
    files: FASHION_MNIST_DOWNLOADS,
  },
};
