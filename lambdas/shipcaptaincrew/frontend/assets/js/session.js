// The crew member's session: the token (sessionStorage, this tab only) and
// who it is for. One is made by the crew app and passed to every view.

const TOKEN_KEY = "scc.token";

export function createSession() {
  return {
    me: null, // { email, role }
    token() {
      try {
        return sessionStorage.getItem(TOKEN_KEY);
      } catch (_) {
        return null;
      }
    },
    start(token, me) {
      try {
        sessionStorage.setItem(TOKEN_KEY, token);
      } catch (_) {
        /* private mode without storage: the session lasts until reload */
      }
      this.me = me;
    },
    clear() {
      try {
        sessionStorage.removeItem(TOKEN_KEY);
      } catch (_) {
        /* nothing stored */
      }
      this.me = null;
    },
    isAdmin() {
      return Boolean(this.me && this.me.role === "admin");
    },
  };
}
