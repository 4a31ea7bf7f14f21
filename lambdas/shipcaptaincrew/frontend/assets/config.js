// Where the ShipCaptainCrew API lives. "" means the same origin as this page:
// the local server serves both, and on AWS bosun puts the API behind the
// frontend's CloudFront distribution under /api/* (stack file:
// `api = { function = "shipcaptaincrew", path = "/api/*" }`).
window.SCC_CONFIG = { api: "" };
