/*
 * kaesong-geo map controls (part of kaesong-geo, MIT licence).
 *
 * KaesongMap.init(map, config, baseLayers) builds, on a Leaflet map made by Folium:
 *   - one footprint layer per epoch (older drawn under newer), with tooltip and popup;
 *   - one layer per interval with the added patches coloured by growth type;
 *   - image overlays, with an opacity slider;
 *   - a layer control, a legend and a provenance note (layers and legend collapse to buttons
 *     on small screens);
 *   - a time control that steps through the epochs, or shows them all;
 *   - a swipe control comparing any two epochs, footprints and imagery alike (panes clipped
 *     with CSS, which works for vector layers and image overlays, not only tiles);
 *   - a watch on the basemap: when its first tiles fail to load (offline, blocked, server
 *     down) it switches to the blank basemap, stops requesting tiles and says so in the page.
 * The view is fitted to the footprints in the part of the map no control covers, and popups
 * are sized and panned to fit there too.
 * Text from the data is always inserted with textContent, never parsed as HTML.
 * The state is exposed as map.kaesong and KaesongMap.instances for tests and scripting.
 */
(function (global) {
  'use strict';

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function escapeHtml(text) {
    // Only for Leaflet's layer control, which inserts layer names as HTML.
    return String(text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function rowsTable(rows) {
    var table = el('table', 'ks-rows');
    rows.forEach(function (row) {
      var tr = el('tr');
      tr.appendChild(el('th', null, row[0]));
      tr.appendChild(el('td', null, row[1]));
      table.appendChild(tr);
    });
    return table;
  }

  function panel(className) {
    var div = el('div', 'ks-panel ' + className);
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  }

  function control(position, build) {
    var Ctl = L.Control.extend({ onAdd: build });
    return new Ctl({position: position});
  }

  function footprintLayer(epoch, pane, popupOptions) {
    return L.geoJSON(epoch.geojson, {
      pane: pane,
      style: function () {
        return {color: epoch.color, weight: 3, fillColor: epoch.color, fillOpacity: 0.22,
                dashArray: epoch.estimated ? '6 4' : null,
                className: 'ks-footprint ks-epoch-' + epoch.label};
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var tip = el('div', 'ks-tip');
        tip.appendChild(el('strong', null, 'Epoch ' + epoch.label + (p.name ? ': ' + p.name : '')));
        tip.appendChild(el('div', null, p.headline));
        layer.bindTooltip(tip, {sticky: true});
        var pop = el('div', 'ks-popup');
        pop.appendChild(el('h4', null, 'Epoch ' + epoch.label));
        pop.appendChild(rowsTable(epoch.rows));
        pop.appendChild(el('h5', null, 'This polygon' + (p.name ? ': ' + p.name : '')));
        pop.appendChild(rowsTable(p.rows));
        layer.bindPopup(pop, popupOptions());
      }
    });
  }

  function addedLayer(interval, colors) {
    return L.geoJSON(interval.geojson, {
      style: function (feature) {
        var c = colors[feature.properties.type];
        return {color: c, weight: 1, fillColor: c, fillOpacity: 0.55,
                className: 'ks-added ks-added-' + feature.properties.type};
      },
      onEachFeature: function (feature, layer) {
        var p = feature.properties;
        var tip = el('div');
        tip.appendChild(el('strong', null, 'Added ' + interval.start + ' to ' + interval.end));
        tip.appendChild(el('div', null, p.type + ', ' + p.area + ', LEI ' + p.lei));
        layer.bindTooltip(tip, {sticky: true});
      }
    });
  }

  function imageLayer(image, pane, opacity) {
    return L.imageOverlay(image.url, image.bounds, {pane: pane, opacity: opacity,
                                                     className: 'ks-image ks-image-' + image.epoch});
  }

  var instances = [];

  // A basemap whose first TILE_ERROR_LIMIT tiles all fail is given up for the blank one.
  var TILE_ERROR_LIMIT = 3;
  // Below this width or height (CSS pixels) the layer control and the legend start collapsed.
  var COMPACT_WIDTH = 640;
  var COMPACT_HEIGHT = 480;
  var MARGIN = 10;

  function sameView(a, b) {
    return !!a && !!b && a.zoom === b.zoom && a.center.distanceTo(b.center) < 0.01;
  }

  function init(map, config, baseLayers) {
    var state = {map: map, config: config, footprints: {}, added: [], images: {},
                 opacity: 0.85, current: null, swipe: null, popups: [], note: null,
                 compact: null, tiles: {requested: 0, loaded: 0, failed: 0}, basemapReason: null};
    map.kaesong = state;
    instances.push(state);

    // Base layers: the Folium tile layers plus a blank one. The basemap is held back until the
    // view is fitted, so no tiles are fetched for Folium's provisional view.
    var bases = {};
    var blank = L.layerGroup();
    var startBase = null;
    baseLayers.forEach(function (b) {
      bases[escapeHtml(b.name)] = b.layer;
      if (map.hasLayer(b.layer)) {
        if (!startBase) { startBase = b.layer; }
        map.removeLayer(b.layer);
      }
    });
    bases['Blank (offline)'] = blank;
    state.blank = blank;

    // Watch what the tiles actually do; navigator.onLine is only a hint (browsers may report
    // true with no network at all).
    baseLayers.forEach(function (b) {
      var count = {loaded: 0, failed: 0};
      b.layer.on('add', function () { count.loaded = 0; count.failed = 0; });
      b.layer.on('tileloadstart', function () { state.tiles.requested += 1; });
      b.layer.on('tileload', function () {
        count.loaded += 1; state.tiles.loaded += 1;
        if (state.basemapReason) { state.hideNote(); }
      });
      b.layer.on('tileerror', function () {
        count.failed += 1; state.tiles.failed += 1;
        if (count.loaded === 0 && count.failed >= TILE_ERROR_LIMIT && map.hasLayer(b.layer)) {
          state.useBlank('Basemap tiles could not be loaded (offline?); showing the blank basemap.');
        }
      });
    });
    state.useBlank = function (reason) {
      baseLayers.forEach(function (b) {
        if (map.hasLayer(b.layer)) { map.removeLayer(b.layer); }  // aborts its pending tiles
      });
      if (!map.hasLayer(blank)) { blank.addTo(map); }
      state.basemapReason = reason;
      state.showNote(reason);
    };

    // A dismissable note about the basemap.
    state.showNote = function (text) {
      if (state.note) { state.note.text.textContent = text; return; }
      var note = {text: el('span', 'ks-note-text', text)};
      note.control = control('bottomleft', function () {
        var div = panel('ks-note');
        div.setAttribute('role', 'status');
        var close = el('button', 'ks-note-close', '\u00d7');
        close.type = 'button';
        close.title = 'Dismiss';
        close.setAttribute('aria-label', 'Dismiss this note');
        close.addEventListener('click', function () { state.hideNote(); });
        div.appendChild(close); div.appendChild(note.text);
        return div;
      });
      state.note = note;
      var untouched = sameView(state.view(), state.home);
      note.control.addTo(map);
      if (untouched) { state.fitView(); }  // keep the footprints clear of the note
    };
    state.hideNote = function () {
      if (!state.note) { return; }
      map.removeControl(state.note.control);
      state.note = null;
    };

    var overlays = {};
    config.imagery.forEach(function (image) {
      var layer = imageLayer(image, 'overlayPane', state.opacity);
      state.images[image.epoch] = layer;
      overlays['Imagery ' + escapeHtml(image.epoch)] = layer;
      layer.addTo(map);
    });
    function popupOptions() { return state.popupOptions ? state.popupOptions() : {maxWidth: 380}; }
    config.epochs.forEach(function (epoch) {
      var layer = footprintLayer(epoch, 'overlayPane', popupOptions);
      state.footprints[epoch.label] = layer;
      overlays['Footprint ' + escapeHtml(epoch.label) + (epoch.estimated ? ' (estimated)' : '')] = layer;
      layer.eachLayer(function (l) { if (l.getPopup()) { state.popups.push(l.getPopup()); } });
      layer.addTo(map);
    });
    config.intervals.forEach(function (interval) {
      var layer = addedLayer(interval, config.growthColors);
      state.added.push(layer);
      overlays['Added ' + escapeHtml(interval.start) + ' to ' + escapeHtml(interval.end)] = layer;
    });
    state.makeLayerControl = function (collapsed) {
      var old = state.layerControl;
      if (old) { map.removeControl(old); }
      state.layerControl = L.control.layers(bases, overlays, {collapsed: collapsed, position: 'topright'});
      state.layerControl.addTo(map);
      var node = state.layerControl.getContainer();
      node.parentNode.insertBefore(node, node.parentNode.firstChild);  // always first in its corner
    };

    state.restack = function () {
      config.epochs.forEach(function (epoch) {
        var layer = state.footprints[epoch.label];
        if (map.hasLayer(layer)) { layer.bringToFront(); }
      });
    };

    // Time control: show the footprint as of one epoch, or all of them (the last stop).
    var ALL = config.epochs.length;
    state.syncTime = function () {
      if (!state.timeLabel) { return; }
      var shown = [];
      config.epochs.forEach(function (epoch, i) {
        if (map.hasLayer(state.footprints[epoch.label])) { shown.push(i); }
      });
      var text;
      if (state.swiping) {
        text = 'swipe: ' + state.swiping[0] + ' | ' + state.swiping[1];
      } else if (shown.length === config.epochs.length) {
        state.timeRange.value = ALL;
        text = 'all epochs';
      } else if (shown.length === 1) {
        var e = config.epochs[shown[0]];
        state.timeRange.value = shown[0];
        text = e.label + ': ' + e.headline;
      } else {
        text = shown.length + ' of ' + config.epochs.length + ' epochs';
      }
      state.timeLabel.textContent = text;
    };
    state.showEpoch = function (index) {
      state.stopSwipe();  // the time control acts on the ordinary layers
      state.current = index === ALL ? null : index;
      config.epochs.forEach(function (epoch, i) {
        var layer = state.footprints[epoch.label];
        var show = state.current === null || i === state.current;
        if (show && !map.hasLayer(layer)) { map.addLayer(layer); }
        if (!show && map.hasLayer(layer)) { map.removeLayer(layer); }
      });
      state.restack();
      state.syncTime();
    };
    control('bottomleft', function () {
      var div = panel('ks-time');
      div.appendChild(el('h4', null, 'Time'));
      var range = el('input');
      range.type = 'range'; range.min = 0; range.max = ALL; range.step = 1;
      range.value = ALL;
      range.className = 'ks-time-range';
      range.setAttribute('aria-label', 'epoch (rightmost: all epochs)');
      range.title = 'Slide to one epoch; rightmost shows all epochs';
      var play = el('button', 'ks-time-play', 'Play');
      var all = el('button', 'ks-time-all', 'All');
      state.timeRange = range;
      state.timeLabel = el('div', 'ks-time-label', 'all epochs');
      var timer = null;
      range.addEventListener('input', function () { state.showEpoch(parseInt(range.value, 10)); });
      all.addEventListener('click', function () { state.showEpoch(ALL); });
      play.addEventListener('click', function () {
        if (timer) { clearInterval(timer); timer = null; play.textContent = 'Play'; return; }
        play.textContent = 'Stop';
        var i = -1;
        timer = setInterval(function () {
          i += 1;
          if (i >= config.epochs.length) { clearInterval(timer); timer = null; play.textContent = 'Play'; return; }
          state.showEpoch(i);
        }, 1200);
      });
      div.appendChild(range); div.appendChild(play); div.appendChild(all); div.appendChild(state.timeLabel);
      return div;
    }).addTo(map);
    map.on('overlayadd overlayremove', function () { state.syncTime(); });

    // Imagery opacity.
    if (config.imagery.length) {
      control('topright', function () {
        var div = panel('ks-opacity');
        var label = el('label', null, 'Imagery opacity ');
        var range = el('input');
        range.type = 'range'; range.min = 0; range.max = 100; range.value = Math.round(state.opacity * 100);
        range.className = 'ks-opacity-range';
        range.addEventListener('input', function () {
          state.opacity = range.value / 100;
          Object.keys(state.images).forEach(function (k) { state.images[k].setOpacity(state.opacity); });
          if (state.swipe) { state.swipe.images.forEach(function (l) { l.setOpacity(state.opacity); }); }
        });
        label.appendChild(range);
        div.appendChild(label);
        return div;
      }).addTo(map);
    }

    // Swipe comparison of two epochs.
    function makePane(name, z) {
      var pane = map.getPane(name) || map.createPane(name);
      pane.style.zIndex = z;
      return pane;
    }
    state.setSwipe = function (fraction) {
      if (!state.swipe) { return; }
      state.swipe.fraction = Math.max(0, Math.min(1, fraction));
      state.swipe.range.value = Math.round(state.swipe.fraction * 1000);
      state.updateSwipe();
    };
    state.updateSwipe = function () {
      var s = state.swipe;
      if (!s) { return; }
      var size = map.getSize();
      var x = s.fraction * size.x;
      var nw = map.containerPointToLayerPoint([0, 0]);
      var se = map.containerPointToLayerPoint(size);
      var clipX = nw.x + x;
      s.left.style.clip = 'rect(' + [nw.y, clipX, se.y, nw.x].join('px, ') + 'px)';
      s.right.style.clip = 'rect(' + [nw.y, se.x, se.y, clipX].join('px, ') + 'px)';
      s.divider.style.left = x + 'px';
      s.leftCaption.style.right = (size.x - x + 8) + 'px';
      s.rightCaption.style.left = (x + 8) + 'px';
    };
    // Pan so that the divider, in the middle, cuts through the smaller of the two footprints:
    // each side then shows its own epoch.
    function centreSwipe(leftLayer, rightLayer) {
      var lb = leftLayer.getBounds(), rb = rightLayer.getBounds();
      if (!lb.isValid() || !rb.isValid()) { return; }
      function width(b) { return b.getEast() - b.getWest(); }
      var lng = (width(lb) <= width(rb) ? lb : rb).getCenter().lng;
      if (!(lb.getWest() < lng && rb.getEast() > lng)) { lng = (lb.getWest() + rb.getEast()) / 2; }
      var x = map.latLngToContainerPoint([map.getCenter().lat, lng]).x;
      var dx = Math.round(x - map.getSize().x / 2);
      if (dx) { map.panBy([dx, 0], {animate: false}); }
    }
    state.startSwipe = function (leftLabel, rightLabel) {
      state.stopSwipe();
      state.swiping = [leftLabel, rightLabel];
      var byLabel = {};
      config.epochs.forEach(function (e) { byLabel[e.label] = e; });
      var container = map.getContainer();
      var s = {leftLabel: leftLabel, rightLabel: rightLabel, fraction: 0.5, layers: [], images: [],
               hidden: [], left: makePane('ksLeft', 450), right: makePane('ksRight', 451)};
      [state.footprints, state.images].forEach(function (group) {
        Object.keys(group).forEach(function (k) {
          if (map.hasLayer(group[k])) { s.hidden.push(group[k]); map.removeLayer(group[k]); }
        });
      });
      [['ksLeft', leftLabel], ['ksRight', rightLabel]].forEach(function (side) {
        var epoch = byLabel[side[1]];
        config.imagery.forEach(function (image) {
          if (image.epoch === side[1]) {
            var img = imageLayer(image, side[0], state.opacity).addTo(map);
            s.images.push(img);
          }
        });
        s.layers.push(footprintLayer(epoch, side[0], popupOptions).addTo(map));
      });
      s.range = el('input', 'ks-swipe-range');
      s.range.type = 'range'; s.range.min = 0; s.range.max = 1000; s.range.value = 500;
      s.range.setAttribute('aria-label', 'swipe position');
      ['mousedown', 'touchstart', 'pointerdown', 'dblclick', 'click'].forEach(function (ev) {
        L.DomEvent.on(s.range, ev, L.DomEvent.stopPropagation);
      });
      s.range.addEventListener('input', function () { s.fraction = s.range.value / 1000; state.updateSwipe(); });
      s.divider = el('div', 'ks-swipe-divider');
      s.leftCaption = el('div', 'ks-swipe-caption', leftLabel);
      s.rightCaption = el('div', 'ks-swipe-caption', rightLabel);
      [s.divider, s.leftCaption, s.rightCaption, s.range].forEach(function (n) { container.appendChild(n); });
      state.swipe = s;
      centreSwipe(s.layers[0], s.layers[1]);
      map.on('move zoom resize', state.updateSwipe);
      state.updateSwipe();
      state.syncTime();
    };
    state.stopSwipe = function () {
      var s = state.swipe;
      if (!s) { return; }
      state.swiping = null;
      map.off('move zoom resize', state.updateSwipe);
      s.layers.concat(s.images).forEach(function (l) { map.removeLayer(l); });
      [s.divider, s.leftCaption, s.rightCaption, s.range].forEach(function (n) { n.parentNode.removeChild(n); });
      s.left.style.clip = ''; s.right.style.clip = '';
      s.hidden.forEach(function (l) { map.addLayer(l); });
      state.swipe = null;
      if (state.swipeButton) { state.swipeButton.textContent = 'Swipe'; }
      state.restack();
      state.syncTime();
    };
    control('topleft', function () {
      var div = panel('ks-compare');
      div.appendChild(el('h4', null, 'Compare two epochs'));
      function picker(name, selected) {
        var select = el('select', 'ks-compare-' + name);
        select.setAttribute('aria-label', name + ' epoch');
        config.epochs.forEach(function (e) {
          var opt = el('option', null, e.label);
          opt.value = e.label;
          if (e.label === selected) { opt.selected = true; }
          select.appendChild(opt);
        });
        return select;
      }
      var first = config.epochs[0].label;
      var last = config.epochs[config.epochs.length - 1].label;
      var left = picker('left', first);
      var right = picker('right', last);
      var toggle = el('button', 'ks-compare-toggle', 'Swipe');
      state.swipeButton = toggle;
      function restart() { if (state.swipe) { state.startSwipe(left.value, right.value); } }
      left.addEventListener('change', restart);
      right.addEventListener('change', restart);
      toggle.addEventListener('click', function () {
        if (state.swipe) { state.stopSwipe(); }
        else { state.startSwipe(left.value, right.value); toggle.textContent = 'End swipe'; }
      });
      div.appendChild(left); div.appendChild(el('span', null, ' | ')); div.appendChild(right);
      div.appendChild(el('span', null, ' ')); div.appendChild(toggle);
      return div;
    }).addTo(map);

    // Legend (a button opens and closes it) and provenance note.
    control('bottomright', function () {
      var div = panel('ks-legend');
      var toggle = el('button', 'ks-legend-toggle', 'Legend');
      toggle.type = 'button';
      var body = el('div', 'ks-legend-body');
      body.id = 'ks-legend-body-' + instances.length;
      toggle.setAttribute('aria-controls', body.id);
      state.setLegend = function (open) {
        div.classList.toggle('ks-collapsed', !open);
        toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
        toggle.title = open ? 'Hide the legend' : 'Show the legend';
      };
      toggle.addEventListener('click', function () {
        state.setLegend(div.classList.contains('ks-collapsed'));
      });
      body.appendChild(el('h4', null, 'Footprint by epoch'));
      config.epochs.forEach(function (e) {
        var row = el('div', 'ks-legend-row');
        var sw = el('span', 'ks-swatch');
        sw.style.background = e.color;
        row.appendChild(sw);
        row.appendChild(el('span', null, e.label + '  ' + e.headline));
        if (e.estimated) { row.appendChild(el('span', 'ks-flag', '  ESTIMATED')); }
        body.appendChild(row);
      });
      if (config.intervals.length) {
        body.appendChild(el('h4', null, 'Added area by growth type'));
        Object.keys(config.growthColors).forEach(function (type) {
          var row = el('div', 'ks-legend-row');
          var sw = el('span', 'ks-swatch');
          sw.style.background = config.growthColors[type];
          row.appendChild(sw);
          row.appendChild(el('span', null, type));
          body.appendChild(row);
        });
      }
      div.appendChild(toggle); div.appendChild(body);
      return div;
    }).addTo(map);
    control('bottomleft', function () {
      var div = panel('ks-notes');
      var details = el('details');
      details.appendChild(el('summary', null, config.provenanceTitle));
      var list = el('ol');
      config.notes.forEach(function (note) { list.appendChild(el('li', null, note)); });
      details.appendChild(list);
      div.appendChild(details);
      return div;
    }).addTo(map);

    // Layout. On a small map the layer control and the legend start collapsed.
    state.setCompact = function (compact) {
      if (compact === state.compact) { return; }
      state.compact = compact;
      map.getContainer().classList.toggle('ks-compact', compact);
      state.makeLayerControl(compact);
      state.setLegend(!compact);
    };
    state.view = function () { return {center: map.getCenter(), zoom: map.getZoom()}; };

    // The part of the map no control covers: either the band between the left and right
    // columns of controls, or the band between the top and bottom rows, whichever shows the
    // footprints larger. Returned as Leaflet padding.
    state.freePadding = function (bounds) {
      var size = map.getSize();
      var box = map.getContainer().getBoundingClientRect();
      var cols = {left: MARGIN, right: MARGIN, top: MARGIN, bottom: MARGIN};
      var rows = {left: MARGIN, right: MARGIN, top: MARGIN, bottom: MARGIN};
      var corners = map._controlCorners;
      Object.keys(corners).forEach(function (name) {
        Array.prototype.forEach.call(corners[name].children, function (node) {
          var r = node.getBoundingClientRect();
          if (!r.width || !r.height) { return; }
          var left = r.left - box.left, top = r.top - box.top;
          if (name.indexOf('left') >= 0) { cols.left = Math.max(cols.left, left + r.width + MARGIN); }
          else { cols.right = Math.max(cols.right, size.x - left + MARGIN); }
          if (name.indexOf('top') >= 0) { rows.top = Math.max(rows.top, top + r.height + MARGIN); }
          else { rows.bottom = Math.max(rows.bottom, size.y - top + MARGIN); }
        });
      });
      var px = {x: 1, y: 1};
      if (bounds && bounds.isValid()) {
        var nw = map.project(bounds.getNorthWest()), se = map.project(bounds.getSouthEast());
        px = {x: Math.max(1, se.x - nw.x), y: Math.max(1, se.y - nw.y)};
      }
      function scale(p) {
        var w = size.x - p.left - p.right, h = size.y - p.top - p.bottom;
        return w <= 0 || h <= 0 ? 0 : Math.min(w / px.x, h / px.y);
      }
      var p = scale(cols) >= scale(rows) ? cols : rows;
      return {paddingTopLeft: L.point(p.left, p.top), paddingBottomRight: L.point(p.right, p.bottom),
              width: Math.max(0, size.x - p.left - p.right), height: Math.max(0, size.y - p.top - p.bottom)};
    };
    state.footprintBounds = function () {
      var b = L.latLngBounds([]);
      Object.keys(state.footprints).forEach(function (k) { b.extend(state.footprints[k].getBounds()); });
      return b.isValid() ? b : (config.bounds ? L.latLngBounds(config.bounds) : b);
    };
    state.fitView = function () {
      var bounds = state.footprintBounds();
      if (!bounds.isValid()) { return; }
      var free = state.freePadding(bounds);
      map.fitBounds(bounds, {paddingTopLeft: free.paddingTopLeft,
                             paddingBottomRight: free.paddingBottomRight, animate: false});
      state.home = state.view();
      state.lastView = state.home;
    };

    // Popups fit the free part of the map: bounded size, scrolling inside, panned into it.
    state.popupOptions = function () {
      var free = state.freePadding(state.footprintBounds());
      return {maxWidth: Math.max(160, Math.min(380, free.width - 50)),
              minWidth: Math.min(240, Math.max(120, free.width - 50)),
              maxHeight: Math.max(120, Math.min(420, free.height - 60)),
              autoPan: true, autoPanPaddingTopLeft: free.paddingTopLeft,
              autoPanPaddingBottomRight: free.paddingBottomRight};
    };
    state.sizePopups = function () {
      var options = state.popupOptions();
      state.popups.forEach(function (p) { L.setOptions(p, options); });
    };
    // Closing a popup undoes the pan made to show it, unless the map was moved since.
    map.on('moveend', function () {
      if (state.popup) { state.popupPanned = state.view(); } else { state.lastView = state.view(); }
    });
    map.on('popupopen', function (e) {
      state.popup = e.popup; state.popupFrom = state.lastView; state.popupPanned = null;
    });
    map.on('popupclose', function () {
      state.popup = null;
      if (state.popupPanned && state.popupFrom && sameView(state.view(), state.popupPanned)) {
        map.setView(state.popupFrom.center, state.popupFrom.zoom, {animate: false});
      }
      state.popupPanned = null;
    });
    map.on('preclick', function () { state.sizePopups(); });  // before a click opens a popup
    map.on('resize', function () {
      var untouched = sameView(state.view(), state.home);
      var size = map.getSize();
      state.setCompact(size.x < COMPACT_WIDTH || size.y < COMPACT_HEIGHT);
      state.sizePopups();
      if (untouched) { state.fitView(); }
    });

    var size = map.getSize();
    state.setCompact(size.x < COMPACT_WIDTH || size.y < COMPACT_HEIGHT);
    state.restack();
    if (navigator.onLine === false) {
      state.useBlank('The browser is offline; showing the blank basemap.');
    }
    state.fitView();
    state.sizePopups();
    if (!state.basemapReason) { (startBase || blank).addTo(map); }
    return state;
  }

  global.KaesongMap = {init: init, escapeHtml: escapeHtml, instances: instances};
}(window));
