/**
 * The username plugins know clients without one by, so a single rule list (ACL, taboo exemptions) can
 * name them. aMQTT's plugins use the same word.
 */
export const ANONYMOUS_USERNAME = 'anonymous';
