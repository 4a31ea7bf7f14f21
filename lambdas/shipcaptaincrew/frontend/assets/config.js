// Where the ShipCaptainCrew API lives. "" means the same origin as this page
// (the local server serves both). A deployment may replace this file with
// e.g. window.SCC_CONFIG = { api: "https://xyz.lambda-url.us-west-2.on.aws" };
window.SCC_CONFIG = { api: "" };
