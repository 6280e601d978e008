/** Colour on/off and the glyph set, shared by every pane without prop drilling. */
import {createContext} from 'react';
import {glyphsFor, type Glyphs} from './glyphs.js';

export type Style = {readonly color: boolean; readonly glyphs: Glyphs};

export const StyleContext = createContext<Style>({color: true, glyphs: glyphsFor(false)});
