-- The content library: instructions, input documents, criteria and fragments, as markdown.
CREATE TABLE contents (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind       TEXT NOT NULL CHECK (kind IN (
                   'generation_instructions', 'input_document', 'single_eval_instructions',
                   'pairwise_eval_instructions', 'eval_criteria', 'combine_instructions',
                   'template_fragment', 'output_document')),
    body       TEXT NOT NULL,
    -- {"VAR": "<content id>"}: what each {{VAR}} in the body expands to.
    variables  TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables) AND json_type(variables) = 'object'),
    tags       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

CREATE INDEX contents_by_kind ON contents (kind, name);
