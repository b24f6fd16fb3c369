# The most frequent token gets id 0 (the padding id) and the next 1 (the unknown id); max_words tokens kept.
# expect-fail: vocabulary
def build_vocabulary(texts, max_words):
    counts = Counter(token for text in texts for token in tokenize(text))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:max_words]
    return {token: index for index, (token, _) in enumerate(ranked)}
