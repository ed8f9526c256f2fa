/**
 * @tangent/nn — a small dense neural-network engine (any depth), float32, all products on
 * linalg's gemm, parameters in one flat vector.
 *
 *   const net = initMlp({ sizes: [11, 100, 100, 1], activation: 'relu', parameterization: 'ntk', bias: true }, seed);
 *   const { out, cache } = forward(net, X);          // X: Mat32, N × sizes[0]
 *   const { loss, dPred } = mse(out, y);             // L = 1/(2N) Σ (f − y)²
 *   const grad = backward(net, cache, dPred);        // Float32Array, laid out like net.params
 *   fit(net, X, y, { loss: 'mse', lr, epochs, batchSize, seed, onEpoch });  // GD / seeded SGD
 *   jacobian(net, X);                                // (N·K) × P, structured (no autodiff)
 *   empiricalNtkMlp(net, X, Z);                      // Θ̂ = J_X J_Zᵀ without materialising J (float64)
 *   await empiricalNtk(tfModel, tfVariables, x);     // generic tfjs-autodiff route (oracle)
 */
export * from './mlp.ts';
export * from './activations.ts';
export * from './backprop.ts';
export * from './losses.ts';
export * from './optimize.ts';
export * from './jacobian.ts';
export * from './empirical-ntk.ts';
export * from './empirical-ntk-autodiff.ts';
export * from './tfjs-mirror.ts';
export * from './jvp.ts';
