/**
 * Words that may not be a repository name or any segment of a nested one: the UI's repository
 * addresses use them as path markers (`.../tag/<tag>`), so such a repository could be neither opened
 * nor deleted.
 */
export const RESERVED_REPOSITORY_WORDS = ['build', 'trigger', 'tag'] as const;

/** Why `name` cannot be used, or undefined when the server may judge it. */
export function repositoryNameProblem(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') return 'Enter a repository name.';
  const reserved = trimmed.split('/').find((segment) => (RESERVED_REPOSITORY_WORDS as readonly string[]).includes(segment));
  if (reserved) {
    return `"${reserved}" is a reserved word and cannot be a repository name or part of one (reserved: ${RESERVED_REPOSITORY_WORDS.join(', ')}).`;
  }
  return undefined;
}
