// Before first paint: the remembered theme, else the system's. A file rather than an inline script, so the
// site's Content-Security-Policy needs no exception for it.
document.documentElement.dataset.theme = localStorage.getItem('theme') ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
