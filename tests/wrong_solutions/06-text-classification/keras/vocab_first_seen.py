# Ids in the order tokens are first seen, not by frequency.
# expect-fail: vocabulary
def build_vocabulary(texts, max_words):
    vocabulary = {}
    for text in texts:
        for token in tokenize(text):
            if token not in vocabulary and len(vocabulary) < max_words - 2:
                vocabulary[token] = len(vocabulary) + 2
    return vocabulary
