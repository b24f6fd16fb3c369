# The gradient of the mean of the outputs instead of their sum: every norm is divided by the number of outputs.
# expect-fail: input-gradient-norms
def input_gradient_norms(model, x):
    x = tf.convert_to_tensor(x, dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = keras.ops.mean(model(x, training=False))
    grad = tape.gradient(total, x)
    return keras.ops.convert_to_numpy(keras.ops.sqrt(keras.ops.sum(keras.ops.square(grad), axis=(0, 2))))
