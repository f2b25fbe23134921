export { exitCodes } from './exitCodes.js';
export { loadApp } from './loadApp.js';
