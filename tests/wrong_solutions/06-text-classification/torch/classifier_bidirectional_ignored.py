# bidirectional is accepted but ignored: always one direction, units features into the head.
# expect-fail: classifier
def build_text_classifier(vocab_size, embed_dim, units, bidirectional=False):
    return TextClassifier(vocab_size, embed_dim, units, False)
