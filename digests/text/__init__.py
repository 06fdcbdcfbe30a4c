"""Text: the Arabic text layer. Pure: strings in, strings and numbers out; no I/O, no clock.

arabic        normalisation for matching, sentences, tokens, stop words, stems
bidi          bidi controls removed, Latin runs isolated in right-to-left lines
urls          canonical URLs (the same story at two addresses)
summarise     extractive summaries of whole sentences
keyphrases    names and terms found in an article (automatic topics)
taxonomy      the topic taxonomy: file format, validation, promotion of keyphrases
tagger        what the taxonomy's words match in an article, and topic scores
topic_lookup  the topic a reader names, in any spelling
stories       the in-memory index: same story across outlets, related coverage
enrich        topics, story, related and index text for each new article; [topics]
query         search queries, index text and marked snippets
"""
