/** The viewer's only HTML: a shell the script fills. No inline script or style (the CSP forbids both). */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>ams sessions</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/styles.css">
<script src="assets/app.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="#/">ams</a>
  <span class="sub">agent sessions</span>
  <span class="where" id="where"></span>
</header>
<main id="main"><p class="muted">Loading…</p></main>
<noscript><p>The session viewer needs JavaScript (served locally; nothing is loaded from elsewhere).</p></noscript>
</body>
</html>
`;
