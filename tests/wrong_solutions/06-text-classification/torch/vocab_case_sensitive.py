# Tokens are split but not lower-cased: "Good" and "good" are counted apart.
# expect-fail: vocabulary
def build_vocabulary(texts, max_words):
    counts = Counter(token for text in texts for token in text.split())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: max_words - 2]
    return {token: index + 2 for index, (token, _) in enumerate(ranked)}
