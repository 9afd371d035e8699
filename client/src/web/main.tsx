import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { ConsolePage } from './console/ConsolePage';
import './styles.css';

// Two pages, chosen by path: the server answers index.html to both.
const Page = window.location.pathname.replace(/\/+$/, '') === '/console' ? ConsolePage : App;

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <Page />
  </StrictMode>,
);
