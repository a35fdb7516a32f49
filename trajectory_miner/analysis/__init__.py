"""What a session's steps mean: the one reading scoring, mining, retrieval, skills and hints share.

- `commands`: a Bash command as simple commands (assignments, program through wrappers and
  runners, arguments, pipes, redirections), read with a real bash grammar.
- `checks`: test, build, lint and type-check runs and whether they passed.
- `signatures`: a failure's family and its specific signature (standard library only, so the
  live-hint hook can use it as it is).
- `failures`: what counts as a failed step, and what does not (no match, nothing to do, a
  refusal, a cancelled sibling, a probe).
- `recoveries`: what got a session past a failure, and what changed on the way.
- `filework`: Bash calls that do what a file tool does (read, edit, search).
- `bash`: the grammar's tree walked into those simple commands.

Nothing is imported here, so a module can be loaded alone (the hooks load `signatures`).
"""

__all__: list[str] = []
