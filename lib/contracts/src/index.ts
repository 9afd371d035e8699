export { defineEvent, type DataOf, type EventContract } from './define';
export {
  CommentCreated,
  CommentModerated,
  CommentUpdated,
  commentStatuses,
  LONGEST_COMMENT,
  LONGEST_TITLE,
  PostCreated,
  type Comment,
  type CommentStatus,
} from './events';
