// The data sets `normbench data fetch` can download: where each lives and the files it consists
// of, each with its size and SHA-256 (the download engine is fetch.ts).

import {join} from 'node:path';
import {UserError} from '../errors.js';
import {findFashionMnist} from './fashion-mnist.js';
import {FASHION_MNIST_DEBIAN_GZ, FASHION_MNIST_OFFICIAL_GZ, verifyFashionMnist, type FashionMnistFile} from './fashion-mnist-files.js';
import type {DataFile} from './fingerprint.js';

/** One file to download: its name under the base URL and the target directory, and its digest. */
export interface RemoteFile {
  name: string;
  /** Lower-case hex SHA-256 of the exact bytes. */
  sha256: string;
  /** Size in bytes, when known: the progress total when the server sends no Content-Length. */
  bytes?: number;
  /** Digests of other files with the same content that count as present (Debian's .gz, whose gzip header differs). */
  alternatives?: readonly string[];
}

/** A copy of a data set that is already where normbench looks, its files checked. */
export interface InstalledCopy {
  dir: string;
  files: DataFile[];
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
  /** The checked copy normbench would read now (from the places it searches), if there is one. */
  installed(): InstalledCopy | undefined;
}

export const DOWNLOADS = ['fashion-mnist'] as const;
export type DownloadName = (typeof DOWNLOADS)[number];

export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** The official release's .gz files (their provenance: src/data/fashion-mnist-files.ts); Debian's count as present. */
export const FASHION_MNIST_DOWNLOADS: readonly RemoteFile[] = (Object.keys(FASHION_MNIST_OFFICIAL_GZ) as FashionMnistFile[])
  .map((key) => ({...FASHION_MNIST_OFFICIAL_GZ[key], alternatives: [FASHION_MNIST_DEBIAN_GZ[key]]}));

/** The full set where the loader would find it, if its files are the official ones. */
function installedFashionMnist(): InstalledCopy | undefined {
  const dir = findFashionMnist();
  if (!dir) return undefined;
  try {
    return {dir, files: verifyFashionMnist(dir, 'full')};
  } catch (error) {
    if (error instanceof UserError) return undefined;
    throw error;
  }
}

export const DOWNLOAD_SOURCES: Record<DownloadName, DownloadSource> = {
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    baseUrl: FASHION_MNIST_BASE_URL,
    envVar: 'NORMBENCH_FASHION_MNIST_URL',
    defaultDir: join('data', 'fashion-mnist'),
    files: FASHION_MNIST_DOWNLOADS,
    installed: installedFashionMnist,
  },
};
