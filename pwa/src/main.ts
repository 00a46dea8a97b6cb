import './components/mh-app.ts';
