/** Fashion-MNIST as a hybrid Dataset: contracts' reader (the one idx reader), one-hot targets. */
import { paths } from '@tangent/arrow-io';
import { FASHION_CLASSES, fashionMnistFiles, readFashionSplit } from '@tangent/contracts';
import { oneHot, type Dataset } from './dataset.ts';

export const fashionPaths = (dataDir = paths.rawData()) => fashionMnistFiles(dataDir);

export function loadFashionMnist(opts: { trainSubset: number | null; testSubset: number | null; dataDir?: string }): Dataset {
  const p = fashionPaths(opts.dataDir);
  const tr = readFashionSplit(p.trainImages, p.trainLabels, opts.trainSubset);
  const te = readFashionSplit(p.testImages, p.testLabels, opts.testSubset);
  const d = tr.rows * tr.cols;
  return {
    name: 'fashion-mnist',
    task: 'classification',
    inDim: d,
    outDim: 10,
    nTrain: tr.labels.length,
    nTest: te.labels.length,
    xTrain: tr.X,
    xTest: te.X,
    yTrain: oneHot(tr.labels, 10),
    yTest: oneHot(te.labels, 10),
    rawTrain: new Float64Array(0),
    rawTest: new Float64Array(0),
    labelsTrain: tr.labels,
    labelsTest: te.labels,
    targetMean: 0,
    targetStd: 1,
    classNames: FASHION_CLASSES,
    featureNames: Array.from({ length: d }, (_, i) => `px${i}`),
    files: [p.trainImages, p.trainLabels, p.testImages, p.testLabels],
  };
}
