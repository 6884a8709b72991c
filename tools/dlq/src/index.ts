export {
  DEFAULT_MAX_REDRIVES,
  REDRIVE_COUNT_HEADER,
  deadLetterTopics,
  purge,
  readDeadLetters,
  redrive,
  redriveHeaders,
  refusal,
  type DeadLetter,
  type RedriveOutcome,
} from './dead-letters.js';
export { runDlqCli, type DlqIo } from './cli.js';
