# grader: lab=01-rnn-cells framework=keras
# Model factories for the model_factory check kind: right ones and classic mistakes.
import keras


def many_to_one(n_features, units=8):
    return keras.Sequential([keras.Input((None, n_features)), keras.layers.LSTM(units), keras.layers.Dense(1, activation="sigmoid")])


def many_to_many(n_features, units=8):
    return keras.Sequential([keras.Input((None, n_features)), keras.layers.Masking(-1.0),
                             keras.layers.GRU(units, return_sequences=True),
                             keras.layers.TimeDistributed(keras.layers.Dense(1))])


def sequences_left_on(n_features, units=8):
    return keras.Sequential([keras.Input((None, n_features)), keras.layers.LSTM(units, return_sequences=True),
                             keras.layers.Dense(1, activation="sigmoid")])


def no_activation(n_features, units=8):
    return keras.Sequential([keras.Input((None, n_features)), keras.layers.LSTM(units), keras.layers.Dense(1)])


def not_a_model(n_features, units=8):
    return keras.layers.LSTM(units)
