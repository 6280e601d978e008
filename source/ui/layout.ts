/**
 * Where each pane goes for a terminal size. The frame uses rows − 1 lines
 * (Ink redraws the whole screen, with flicker, when a frame fills it):
 *
 *   wide (≥ 110 × 30): header, checklist | detail, DB pane | timeline pane, footer
 *   compact (80 × 24): header, checklist | detail, DB in 2 lines, timeline in 1, footer
 *   narrow (< 64 columns): checklist above detail, DB and timeline condensed
 */
export type Layout = {
	readonly kind: 'wide' | 'compact' | 'narrow';
	readonly width: number;
	readonly height: number;
	readonly headerHeight: number;
	/** Checklist and detail (side by side, or stacked when narrow). */
	readonly bodyHeight: number;
	readonly checklistWidth: number;
	readonly checklistHeight: number;
	readonly detailWidth: number;
	readonly detailHeight: number;
	readonly dbWidth: number;
	readonly dbHeight: number;
	readonly timelineWidth: number;
	readonly timelineHeight: number;
	readonly footerHeight: number;
};

export function computeLayout(columns: number, rows: number, timelineRows: number): Layout {
	const width = Math.max(40, columns);
	const height = Math.max(12, rows - 1);
	const headerHeight = 3; // two lines and a rule
	const footerHeight = 2;
	if (width >= 110 && height >= 29) {
		const bottom = Math.min(timelineRows + 1, Math.floor((height - headerHeight - footerHeight) * 0.42));
		const bodyHeight = height - headerHeight - footerHeight - bottom - 1;
		const checklistWidth = Math.min(56, Math.floor(width * 0.38));
		const dbWidth = Math.floor(width * 0.45);
		return {
			kind: 'wide',
			width,
			height,
			headerHeight,
			bodyHeight,
			checklistWidth,
			checklistHeight: bodyHeight,
			detailWidth: width - checklistWidth - 2,
			detailHeight: bodyHeight,
			dbWidth,
			dbHeight: bottom,
			timelineWidth: width - dbWidth - 2,
			timelineHeight: bottom,
			footerHeight,
		};
	}
	const dbHeight = 2;
	const timelineHeight = 1;
	const bodyHeight = height - headerHeight - footerHeight - dbHeight - timelineHeight - 1;
	if (width < 64) {
		const checklistHeight = Math.max(3, Math.floor(bodyHeight * 0.4));
		return {
			kind: 'narrow',
			width,
			height,
			headerHeight,
			bodyHeight,
			checklistWidth: width,
			checklistHeight,
			detailWidth: width,
			detailHeight: bodyHeight - checklistHeight,
			dbWidth: width,
			dbHeight,
			timelineWidth: width,
			timelineHeight,
			footerHeight,
		};
	}
	const checklistWidth = Math.min(40, Math.floor(width * 0.4));
	return {
		kind: 'compact',
		width,
		height,
		headerHeight,
		bodyHeight,
		checklistWidth,
		checklistHeight: bodyHeight,
		detailWidth: width - checklistWidth - 2,
		detailHeight: bodyHeight,
		dbWidth: width,
		dbHeight,
		timelineWidth: width,
		timelineHeight,
		footerHeight,
	};
}
